/** The function's environment and clock: the process's, as Lambda gives them. */

export function optionalEnv(name: string): string | undefined {
  return process.env[name];
}

export function env(name: string): string {
  const value = optionalEnv(name);
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set`);
  return value;
}

export function now(): Date {
  return new Date();
}
