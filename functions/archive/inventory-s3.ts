/** Reading and writing inventory files in S3 as streams: gunzip and lines, never a whole file in memory. */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { env } from '../commons/runtime';
import { InventoryUnusable } from './inventory-rows';

/**
 * One client per region with room for many open streams: a partition's merge reads every run at once, and the SDK's
 * default of 50 sockets would leave the 51st waiting for a socket the merge never frees.
 */
const clients = new Map<string, S3Client>();
export const MAX_OPEN_STREAMS = 400;
export function archiveS3(region = env('AWS_REGION')): S3Client {
  let client = clients.get(region);
  if (!client) {
    const agent = { maxSockets: MAX_OPEN_STREAMS + 16, keepAlive: true };
    client = new S3Client({ region, requestHandler: { httpAgent: agent, httpsAgent: agent } });
    clients.set(region, client);
  }
  return client;
}

/** The lines of a gzipped object, streamed; `md5` (hex) is checked against the compressed bytes at the end. */
export async function* gzippedLines(
  client: S3Client,
  bucket: string,
  key: string,
  md5?: string,
): AsyncGenerator<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = object.Body as Readable;
  const hash = md5 ? createHash('md5') : undefined;
  if (hash) body.on('data', (chunk: Buffer) => hash.update(chunk));
  const lines = createInterface({ input: body.pipe(createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line !== '') yield line;
  if (hash && md5) {
    const actual = hash.digest('hex');
    if (actual !== md5)
      throw new InventoryUnusable(`s3://${bucket}/${key}: its MD5 is ${actual}, the manifest says ${md5}`);
  }
}

/** Every key under `prefix`, page by page. */
export async function* keysUnder(client: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
    token = page.NextContinuationToken;
  } while (token);
}

/** The folders right under `prefix` (common prefixes with '/'). */
export async function foldersUnder(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const folders: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
    token = page.NextContinuationToken;
  } while (token);
  return folders;
}

export async function readJson<T>(client: S3Client, bucket: string, key: string): Promise<T> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await (object.Body as { transformToString(): Promise<string> }).transformToString()) as T;
}
