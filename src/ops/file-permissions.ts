// Start-up check of files that hold secrets (the config when it carries passwords, the htpasswd
// file): readable by group or others means any local account may read them. Pure: facts in,
// the problem out; main/daemon stat the files and log/emit the warning.

export interface SecretFileFacts {
  path: string;
  /** st_mode (permission bits are read from it). */
  mode: number;
  /** Owning group id: group `root` (0) is not counted as exposure. */
  gid: number;
  /** What in the file is secret, e.g. ["[ipmi] password"], or ["password hashes"]; empty: nothing. */
  secrets: readonly string[];
}

/** The warning for one file, or null when it is private enough (or holds nothing secret). */
export function secretFileProblem(facts: SecretFileFacts): string | null {
  if (facts.secrets.length === 0) return null;
  const worldReadable = (facts.mode & 0o004) !== 0;
  const groupReadable = (facts.mode & 0o040) !== 0 && facts.gid !== 0;
  if (!worldReadable && !groupReadable) return null;
  const mode = (facts.mode & 0o777).toString(8).padStart(4, '0');
  const who = worldReadable ? 'every local user' : `group ${facts.gid}`;
  return (
    `${facts.path} holds ${facts.secrets.join(', ')} and is readable by ${who} (mode ${mode}); ` +
    `run: chmod 0600 ${facts.path}`
  );
}

/** `[section] option` of every option set in parsed INI sections that `isSecret` marks (schema `secret`). */
export function secretOptionsIn(
  sections: Readonly<Record<string, unknown>>,
  isSecret: (section: string, name: string) => boolean,
): string[] {
  const found: string[] = [];
  for (const [section, values] of Object.entries(sections)) {
    if (values === null || typeof values !== 'object') continue;
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      if (isSecret(section, name) && value !== '' && value !== undefined && value !== null)
        found.push(`[${section}] ${name}`);
    }
  }
  return found;
}
