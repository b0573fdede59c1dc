import type { LifelineConfig } from './config/schema';

/**
 * The names an installation gives its stacks, keys and roles, all derived from the config `name` (default
 * "lifeline"), so that two installations in one account never share one.
 */
export function namesOf(config: Pick<LifelineConfig, 'name'>) {
  const name = config.name;
  return {
    stacks: { primary: `${name}-primary`, dr: `${name}-dr`, vault: `${name}-vault` },
    /** Alias of the installation's key in a region; the backup workflow finds the DR key by it. */
    keyAlias: (role: 'primary' | 'dr' | 'vault') => `alias/${name}/${role}`,
    /** The alert topic of a region: failures and alarms, and (with an escalation) the incident sink's intake. */
    alertsTopic: (region: 'primary' | 'dr') => (region === 'primary' ? `${name}-alerts` : `${name}-dr-alerts`),
    /** The role in the vault account that copies the recovery points the production account shares with it. */
    vaultCopierRole: `${name}-vault-copier`,
    /** The role of the production function that assumes the vault copier role; the only principal it trusts. */
    vaultCopySourceRole: `${name}-backup-vault-copy`,
    /** The role in the vault account that lists the vault copies and shares one with production (ransomware). */
    vaultReaderRole: `${name}-vault-reader`,
    /** The roles of the failover's pre-check and recovery functions: the only principals the vault reader trusts. */
    vaultReaderSourceRoles: { precheck: `${name}-failover-precheck`, recover: `${name}-failover-recover` },
  };
}
