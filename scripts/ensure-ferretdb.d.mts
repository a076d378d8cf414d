export const FERRETDB_VERSION: string;
export const defaultFerretdbPath: string;
export function ensureFerretdb(bin?: string): string;
