import { randomBytes } from 'node:crypto';

/**
 * Block ids, before base64, are always this long. Azure refuses a block (InvalidBlobOrBlock) whose
 * id length differs from that of the blob's other uncommitted blocks, so every writer of a blob
 * must agree; 48 is also what the Azure SDKs' own uploaders use, so blocks they leave behind on a
 * name never make our uploads to that name fail.
 */
const RAW_BLOCK_ID_LENGTH = 48;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/**
 * A multipart upload id (and a put's private namespace): 128 random bits in hex. The id is the
 * namespace of the upload's block ids, so uploads to one blob never name each other's blocks.
 */
export function newUploadId(): string {
  return randomBytes(16).toString('hex');
}

export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}

/** `kind` keeps a put's blocks ('p') and a multipart upload's ('m') apart even if ids collided. */
function blockId(kind: 'm' | 'p', namespace: string, index: number): string {
  const raw = `${kind}${namespace}${index.toString().padStart(RAW_BLOCK_ID_LENGTH - 1 - namespace.length, '0')}`;
  return Buffer.from(raw, 'ascii').toString('base64');
}

/**
 * The block that holds part `partNumber` of upload `uploadId`. Deterministic, so re-sending a part
 * replaces its block, and completion can name the blocks from the part numbers alone.
 */
export function partBlockId(uploadId: string, partNumber: number): string {
  return blockId('m', uploadId, partNumber);
}

/** The `index`-th block of the put with private id `putId`. */
export function putBlockId(putId: string, index: number): string {
  return blockId('p', putId, index);
}
