/** A wrong command line: reported with a pointer to --help and exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
