/**
 * `guid` in upper case, for tests that show a GUID is matched or sent whatever its case. A GUID
 * of digits only is the same in either case, and such a test could not fail: refused here.
 */
export function caseVariant(guid: string): string {
  const upper = guid.toUpperCase();
  if (upper === guid || guid.toLowerCase() !== guid) {
    throw new Error(`caseVariant(${JSON.stringify(guid)}): give a lower-case GUID with letters (a-f); upper-casing this one changes nothing, so the test could not fail`);
  }
  return upper;
}
