const UNITS: ReadonlyArray<[limitSeconds: number, secondsPerUnit: number, unit: string]> = [
  [60, 1, "second"],
  [3600, 60, "minute"],
  [86400, 3600, "hour"],
  [86400 * 30, 86400, "day"],
  [86400 * 365, 86400 * 30, "month"],
  [Infinity, 86400 * 365, "year"],
];

/** A relative time like `just now`, `5 minutes ago` or `2 days ago`; `never` when the date is missing. */
export function formatRelativeTime(date: Date | null, now: Date = new Date()): string {
  if (!date) return "never";
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 10) return "just now";
  const [, per, unit] = UNITS.find(([limit]) => seconds < limit)!;
  const count = Math.floor(seconds / per);
  return `${count} ${unit}${count === 1 ? "" : "s"} ago`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** An absolute UTC time like `Apr 08, 2026 19:11 UTC`; empty when the date is missing. */
export function formatAbsoluteTime(date: Date | null): string {
  if (!date) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate())}, ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** A compact size like `512 B`, `1.2 KB` or `3.4 MB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** `1 session` or `N sessions`, with thousands separators; `N+ sessions` when the count stopped at `N` (`atLeast`). */
export function formatSessionCount(count: number, atLeast = false): string {
  return `${formatCount(count, atLeast)} ${count === 1 && !atLeast ? "session" : "sessions"}`;
}

/** A count with thousands separators, and `+` when it stopped there (`1,000+`). */
export function formatCount(count: number, atLeast = false): string {
  return `${count.toLocaleString("en-US")}${atLeast ? "+" : ""}`;
}
