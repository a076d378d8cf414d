// The record of processing (UK GDPR Article 30), kept beside the code that stores the data: every collection, what
// it holds, the personal data in it, why, and how long it is kept. docs/data-protection.md is generated from this and
// from the retention settings in src/config.ts (`npm run dp-docs`); a test fails when a collection the service
// writes is missing here, or the document is out of step.

export interface CollectionRecord {
  name: string;
  holds: string;
  /** The personal data in it ('none' when there is none). */
  personal: string;
  why: string;
  /** How long it is kept, naming the setting that decides it. */
  kept: string;
}

export const inventory: readonly CollectionRecord[] = [
  {
    name: 'accounts',
    holds: 'one USO account per person: username, associations with schools (role, dates, year, class, groups, MIS id)',
    personal: 'names, birth date, gender, UPN, school email, title; school history',
    why: 'the single sign-on account itself: what the service exists to keep in step',
    kept: 'while the account exists; `uso person erase` removes it',
  },
  {
    name: 'rosters',
    holds:
      "each school's accounts packed into one document (JSON, deflated), with each account's lookup keys (block keys and look-alike index keys) and an epoch every account write moves",
    personal: 'as accounts, for the accounts associated with the school',
    why: 'a run reads its school in one lookup instead of a query over every account of the LA',
    kept: 'rebuilt from accounts whenever its epoch has moved; `uso person erase` drops the packed accounts of every school the person was at',
  },
  {
    name: 'identities',
    holds:
      "one claim per identity key (a pupil's UPN; legal names and birth date within an LA), naming the account that holds it",
    personal: 'pseudonymous: each key is a truncated SHA-256 of the UPN or of the names and birth date, never the text',
    why: 'so two runs creating the same person at once (a dual registration, a move, a second post) make one account',
    kept: "while the account carries the key; a claim whose account lost the key is taken over; `uso person erase` removes the account's claims",
  },
  {
    name: 'lookalikes',
    holds:
      'the look-alike index: under each key (a UPN; a birth date with a forename initial; a phonetic surname key with two parts of the birth date; exact surname and forename; all but the UPN within an LA) the usernames filed there, with the names, birth date, gender, UPN and kind the matcher compares',
    personal: 'as accounts, for the fields matching compares',
    why: "a run finds a newcomer's look-alikes across the LA by reading a few keys, instead of every account of the LA",
    kept: 'while the account exists, as it stands: an entry a change takes away is removed after the write, and a key left with no entry goes with it; `uso person erase` removes every entry of the account under any key; rebuilt from accounts when its keys change',
  },
  {
    name: 'exports',
    holds: 'metadata of each stored Integris export: school, sequence, time, counts, checksum',
    personal: 'none',
    why: 'to process, re-run and audit a night from exactly what Integris sent',
    kept: 'the newest EXPORT_KEEP_NIGHTS processed per school, and any not yet processed',
  },
  {
    name: 'exportChunks',
    holds: 'the records of each export, report by report, deflated JSON in chunks',
    personal: 'all fields of the accepted reports: pupils, staff, contacts (parents), groups, attendance marks',
    why: 'as for exports',
    kept: 'with their export; a revoked or un-shared report is erased after REVOKE_GRACE_DAYS',
  },
  {
    name: 'contacts',
    holds: "a school's contacts report, deflated JSON in chunks",
    personal: "parents' and carers' names, phones, emails, addresses, relationships to pupils",
    why: 'for the services the school shares contacts with (parental services)',
    kept: 'replaced by each full export; erased REVOKE_GRACE_DAYS after the report is no longer shared or accepted',
  },
  {
    name: 'groups',
    holds: "a school's classes and groups with their members' MIS ids",
    personal: 'membership (MIS ids)',
    why: 'for class-based provisioning',
    kept: 'as contacts',
  },
  {
    name: 'attendance',
    holds: 'attendance marks by school day',
    personal: "pupils' marks (MIS ids, dates, codes)",
    why: 'for the services the school shares attendance with',
    kept: "each school's attendanceRetentionDays; erased as contacts",
  },
  {
    name: 'runs',
    holds: 'each processing of an export: trigger, status, timings, counts, guards, held state',
    personal: 'none',
    why: 'the service desk log: what each night did',
    kept: 'kept (counts only)',
  },
  {
    name: 'runOutcomes',
    holds:
      "each record's outcome in a run (all but `unchanged`, which are counted), and the changes held for approval (accounts before and after), packed (BSON, deflated) in one document per run",
    personal: 'MIS ids, usernames, reasons; held changes hold the account fields',
    why: '`who` and history answers; approving held changes',
    kept: 'RUN_OUTCOME_KEEP_DAYS',
  },
  {
    name: 'heldDecisions',
    holds: 'who approved or rejected each held change, and when',
    personal: 'usernames; the decider’s chat or CLI id',
    why: 'each held change is decided once, and by whom',
    kept: 'with the run; removed with the person on erasure',
  },
  {
    name: 'matches',
    holds: 'people held for matching with their candidate accounts, and how it ended',
    personal: "the MIS person's fields (names, birth date, UPN); candidate usernames",
    why: 'so an admin decides, instead of a duplicate account being made',
    kept: 'while open; decided ones are kept for undo and history',
  },
  {
    name: 'exclusions',
    holds: 'names a school never wants an account for',
    personal: 'forename and surname (a birth date only when the school gives one)',
    why: 'so those people are never made an account',
    kept: 'until removed by the school',
  },
  {
    name: 'audit',
    holds: 'every change and admin action: who, what, when, which school and username, field names changed',
    personal: 'usernames and the acting admin’s id; never names, birth dates or values',
    why: 'accountability for every change to children’s accounts',
    kept: 'kept; on erasure only a tombstone (who erased which username, when) remains',
  },
  {
    name: 'schools',
    holds: 'schools, their Datashare grant, accepted reports and settings',
    personal: 'none',
    why: 'what to export and how',
    kept: 'kept',
  },
  {
    name: 'outbox',
    holds: 'chat messages waiting to be posted, and posted ones (to update summaries in place)',
    personal: 'names and masked birth years of people in lists; usernames',
    why: 'reliable delivery to Slack and Teams',
    kept: '35 days after delivery',
  },
  {
    name: 'alerts',
    holds: 'problems said to a school and not yet over (a failed run, a revoked grant, ...)',
    personal: 'none',
    why: 'each problem is said once, and its end once',
    kept: 'until the problem ends',
  },
  {
    name: 'chatLinks',
    holds: 'which conversation speaks for which school',
    personal: 'none',
    why: 'where to post',
    kept: 'until unlinked',
  },
  {
    name: 'chatAdmins',
    holds: 'roles of chat users at schools',
    personal: 'chat user ids (Slack or Teams)',
    why: 'to authorise every admin action',
    kept: 'until the role is removed',
  },
  {
    name: 'chatInstallations',
    holds: 'Slack workspace installations',
    personal: 'the installing user’s Slack id; bot tokens',
    why: 'to post to those workspaces',
    kept: 'until uninstalled',
  },
  {
    name: 'teamsConversations',
    holds: 'Teams conversation references',
    personal: 'Teams user ids for personal chats',
    why: 'to post proactively to Teams',
    kept: 'until the bot is removed',
  },
  {
    name: 'linkCodes',
    holds: 'one-time codes that link a conversation to a school',
    personal: 'none',
    why: 'linking',
    kept: 'until used or expired',
  },
  {
    name: 'webhookEvents',
    holds: 'ids of Integris webhook events seen',
    personal: 'none',
    why: 'each event is acted on once',
    kept: 'until expired',
  },
  {
    name: 'leases',
    holds: 'which process runs which school, and whether the run before left anything to recover',
    personal: 'none',
    why: 'one run per school at a time',
    kept: 'while held; after a run that stopped or died, until the next run of the school',
  },
  {
    name: 'globals',
    holds:
      "service-wide state: the pause, content hashes of stored reports, block-key version, the store's schema version and migrations applied, each LA's number of accounts per school (to weigh look-alikes), and each school's last export number",
    personal: 'none',
    why: 'bookkeeping',
    kept: 'kept',
  },
  {
    name: 'subscribers',
    holds:
      'services that receive events and read the API: URL, scope (schools or LA, reports), signing secrets, API key hash',
    personal: 'none',
    why: 'to send each service only what it is scoped to, signed',
    kept: 'until revoked',
  },
  {
    name: 'sharing',
    holds:
      "each school's decision about each subscriber (approved, declined, revoked) with every receipt: who decided, when, through what, and the reports, fields and purpose decided on",
    personal: 'the name and chat user id of whoever decided',
    why: 'nothing of a school goes to a service until the school approved it (the school is the data controller)',
    kept: 'while the subscriber is registered; the audit keeps each decision',
  },
  {
    name: 'webSessions',
    holds:
      "the web console's signed-in sessions: a random id, who (their chat identity and display name), the form token, when it ends",
    personal: 'the display name and chat user id of whoever signed in',
    why: 'to know who is acting in the console, with the roles chat gave them',
    kept: 'until sign-out or 8 hours; expired ones are removed by the daily retention job',
  },
  {
    name: 'webLogins',
    holds:
      'console sign-ins in progress: the provider, the PKCE verifier and nonce, keyed by the state sent to the provider',
    personal: 'none',
    why: 'to finish a sign-in safely (each is used once)',
    kept: '10 minutes; used ones are deleted at once, expired ones by the daily retention job',
  },
  {
    name: 'teamsUsers',
    holds: "each Teams user's directory object id beside the id Teams gives them in the bot's conversations",
    personal: 'two opaque ids of a member of staff',
    why: 'to match a Microsoft sign-in to the chat roles granted to that Teams user',
    kept: '400 days after the member of staff last used the bot (renewed as they use it), then removed by the daily retention job; two ids and nothing else (no name)',
  },
  {
    name: 'deliveries',
    holds: "each subscriber's queue of events, in segments of up to 500, with how far each was delivered",
    personal: 'the account fields of the reports both the subscriber and the school accept',
    why: 'delivery at least once, in order, with retries',
    kept: "35 days after a segment's last event was delivered; a revoked subscriber's undelivered events are withdrawn at the next retention; `uso person erase` withdraws the person's pending events and keeps of the sent ones only which event went where and when",
  },
  {
    name: 'agendaJobs',
    holds: 'scheduled jobs (Agenda)',
    personal: 'none (DfE numbers)',
    why: 'the nightly schedule',
    kept: 'as Agenda keeps them',
  },
];
