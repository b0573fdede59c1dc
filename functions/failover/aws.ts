/** The failover's Route 53 client: one, global (Route 53's control plane is in us-east-1), replaceable in tests. */
import { Route53Client } from '@aws-sdk/client-route-53';

let client: Route53Client | undefined;

export const route53 = (): Route53Client => {
  client ??= new Route53Client({ region: 'us-east-1' });
  return client;
};

/** Replaces the client (tests). */
export const useRoute53 = (replacement: Route53Client | undefined) => {
  client = replacement;
};
