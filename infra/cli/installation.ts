import { DescribeStacksCommand, type DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { DR_OUTPUT, type OutputDatabase, PRIMARY_OUTPUT, parseOutputDatabases } from '../outputs';
import { attempt } from './aws';
import { environmentError, explainAwsError, usageError } from './errors';

/** A deployed installation, as its stacks' outputs describe it. */
export interface Installation {
  readonly name: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly databases: readonly OutputDatabase[];
  /** Outputs of `<name>-dr`, by key; undefined when that stack was not found. */
  readonly dr?: Readonly<Record<string, string>>;
  /** Outputs of `<name>-primary`, by key; undefined when that stack was not found. */
  readonly primary?: Readonly<Record<string, string>>;
  /** What was looked for and where, for messages. */
  readonly tried: readonly string[];
}

export interface FindOptions {
  /** The installation name (`--name`). */
  readonly name: string;
  /** `--region`, else the SDK's own (AWS_REGION, the profile's region). */
  readonly region?: string;
}

/** The region the SDK would use: --region, else AWS_REGION / AWS_DEFAULT_REGION, else none. */
function regionOf(options: FindOptions): string {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw environmentError(
      `No AWS region: set AWS_REGION (or pass --region) to the DR region or the primary region of the installation "${options.name}".`,
    );
  return region;
}

/** The stack's outputs, or undefined when it does not exist there; any other error is explained. */
async function outputsOf(stackName: string, region: string): Promise<Record<string, string> | undefined> {
  const got = await attempt<DescribeStacksCommandOutput>(
    'cloudformation',
    region,
    new DescribeStacksCommand({ StackName: stackName }),
  );
  if (!got.ok) {
    if (/does not exist/.test(got.error.message)) return undefined;
    throw explainAwsError(got.error, { service: 'cloudformation', action: 'DescribeStacks', region });
  }
  const stack = got.value.Stacks?.[0];
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
  return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

/**
 * Finds the installation by its stacks: `<name>-dr` in the region first, else `<name>-primary` there; the other
 * stack in the other region, as the found one's outputs name it. Both missing is an error that names what was tried.
 */
export async function findInstallation(options: FindOptions): Promise<Installation> {
  const region = regionOf(options);
  const names = { dr: `${options.name}-dr`, primary: `${options.name}-primary` };
  const tried = [`${names.dr} in ${region}`];
  let dr = await outputsOf(names.dr, region);
  let primary: Record<string, string> | undefined;
  if (dr) {
    const primaryRegion = dr[DR_OUTPUT.primaryRegion];
    if (primaryRegion) {
      tried.push(`${names.primary} in ${primaryRegion}`);
      primary = await outputsOf(names.primary, primaryRegion);
    }
  } else {
    tried.push(`${names.primary} in ${region}`);
    primary = await outputsOf(names.primary, region);
    const drRegion = primary?.[PRIMARY_OUTPUT.drRegion];
    if (drRegion) {
      tried.push(`${names.dr} in ${drRegion}`);
      dr = await outputsOf(names.dr, drRegion);
    }
  }
  const found = dr ?? primary;
  if (!found)
    throw environmentError(
      `No Lifeline stack found: looked for ${tried.join(' and ')}. Deploy the installation first (cdk deploy ${names.dr} ${names.primary}), or point at it with --name <name> and --region <its DR or primary region> (or AWS_REGION).`,
    );
  const primaryRegion = found[DR_OUTPUT.primaryRegion];
  const drRegion = found[DR_OUTPUT.drRegion];
  const databases = found[DR_OUTPUT.databases];
  if (!primaryRegion || !drRegion || databases === undefined)
    throw environmentError(
      `${dr ? names.dr : names.primary} has no Lifeline outputs (${DR_OUTPUT.primaryRegion}, ${DR_OUTPUT.drRegion}, ${DR_OUTPUT.databases}): it was deployed by an older Lifeline; deploy it again with this one (cdk deploy ${names.dr} ${names.primary}).`,
    );
  return {
    name: found[DR_OUTPUT.installation] ?? options.name,
    primaryRegion,
    drRegion,
    databases: parseOutputDatabases(databases),
    ...(dr ? { dr } : {}),
    ...(primary ? { primary } : {}),
    tried,
  };
}

/** An output the command needs, or an error that says which stack to deploy. */
export function required(installation: Installation, stack: 'dr' | 'primary', key: string, what: string): string {
  const value = installation[stack]?.[key];
  if (value) return value;
  const stackName = `${installation.name}-${stack}`;
  const region = stack === 'dr' ? installation.drRegion : installation.primaryRegion;
  throw environmentError(
    installation[stack]
      ? `${stackName} in ${region} has no output ${key} (${what}): deploy it again with this Lifeline (cdk deploy ${stackName}).`
      : `${stackName} was not found in ${region}, and ${what} lives there: deploy it (cdk deploy ${stackName}).`,
  );
}

/** The database by id, or a usage error that lists the ones there are. */
export function databaseOf(installation: Installation, id: string, must?: 'drilled'): OutputDatabase {
  const db = installation.databases.find((d) => d.id === id);
  const known = (list: readonly OutputDatabase[]) => list.map((d) => d.id).join(', ') || 'none';
  if (!db)
    throw usageError(
      `No database "${id}" in the installation ${installation.name}: its databases are ${known(installation.databases)}.`,
    );
  if (must === 'drilled' && !db.drilled)
    throw usageError(
      `The database "${id}" has no drill configured: drilled are ${known(installation.databases.filter((d) => d.drilled))}. Add databases[].drill to the config and deploy.`,
    );
  return db;
}
