/** Whether this tab has been signed in: a 401 afterwards means the session ended, not "never signed in". */
let signedIn = false;

export function markSignedIn(value: boolean): void {
  signedIn = value;
}

export function wasSignedIn(): boolean {
  return signedIn;
}

/** Only same-site paths are followed after sign-in, never another origin (`//evil`, `/\evil`). */
export function safeNextPath(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/sign-in')) return '/';
  return next;
}
