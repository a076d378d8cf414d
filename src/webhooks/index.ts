export { integrisWebhookRoutes, webhookEventSchema, type WebhookDeps, type WebhookEventBody } from './integris.js';
