// Calendar dates as YYYY-MM-DD strings (UTC-free: a school day is a date, not an instant).
export type IsoDate = string;

export function addDays(date: IsoDate, days: number): IsoDate {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function isWeekday(date: IsoDate): boolean {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day !== 0 && day !== 6;
}

/** Today's date in a time zone, e.g. Europe/London. */
export function todayIn(timeZone: string, now: Date = new Date()): IsoDate {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The year the academic year containing `date` started (September). */
export function academicYearStart(date: IsoDate): number {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return m >= 9 ? y : y - 1;
}

/** School days (Monday to Friday) strictly between two dates: the evenings an export was due and did not come. */
export function weekdaysBetween(from: IsoDate, to: IsoDate): number {
  let n = 0;
  for (let d = addDays(from, 1); d < to; d = addDays(d, 1)) if (isWeekday(d)) n++;
  return n;
}
