// Datasets and base models: plain CRUD over the Prisma models (their types are the schema's).
import { BlobReader, collectOrphanBlobs, deleteUnreferencedBlob, writeBlob, type BlobSource } from './blobs';
import { getPool, type Db } from './client';
import { NotFoundError } from './errors';
import type { BaseModel, Dataset, Prisma } from './generated/client';

export function createDataset(db: Db, data: Prisma.DatasetCreateInput): Promise<Dataset> {
  return db.dataset.create({ data });
}
export function listDatasets(db: Db, where?: Prisma.DatasetWhereInput): Promise<Dataset[]> {
  return db.dataset.findMany({ where, orderBy: { name: 'asc' } });
}
/** @throws NotFoundError */
export async function getDataset(db: Db, idOrName: string): Promise<Dataset> {
  const row = await db.dataset.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!row) throw new NotFoundError('dataset', idOrName);
  return row;
}
export function updateDataset(db: Db, id: string, data: Prisma.DatasetUpdateInput): Promise<Dataset> {
  return notFoundAs('dataset', id, db.dataset.update({ where: { id }, data }));
}
/**
 * Creates or replaces (by name) a dataset with its file content, stored as a chunked blob
 * (any size). The row points at the new blob only once it is complete; the replaced
 * content is deleted with it (trigger), and abandoned imports older than a day are collected.
 */
export async function upsertDatasetWithContent(db: Db, data: Omit<Prisma.DatasetCreateInput, 'blob'>, content: BlobSource): Promise<Dataset> {
  const blob = await writeBlob(db, content);
  let row: Dataset;
  try {
    const withBlob = { ...data, blob: { connect: { id: blob.id } } };
    row = await db.dataset.upsert({ where: { name: data.name }, create: withBlob, update: withBlob });
  } catch (err) {
    await deleteUnreferencedBlob(getPool(db), blob.id).catch(() => {});
    throw err;
  }
  await collectOrphanBlobs(db).catch(() => {});
  return row;
}

/**
 * A dataset's stored file content, sha256 checked (null when the row has none), and the
 * options it was imported with, both read from one snapshot.
 * @throws NotFoundError, BlobIntegrityError
 */
export async function readDatasetContent(db: Db, id: string): Promise<{ content: Uint8Array | null; importOptions: Prisma.JsonValue | null }> {
  const { reader, owner } = await BlobReader.open(db, async (client) => {
    const { rows } = await client.query<{ name: string; blobId: string | null; importOptions: Prisma.JsonValue | null }>(
      'SELECT "name", "blobId", "importOptions" FROM "Dataset" WHERE "id" = $1', [id]);
    if (!rows[0]) throw new NotFoundError('dataset', id);
    return { blobId: rows[0].blobId, what: `dataset ${JSON.stringify(rows[0].name)} content`, owner: rows[0].importOptions };
  });
  return { content: reader ? await reader.readAll() : null, importOptions: owner ?? null };
}

/** Sweeps that used it keep their rows (datasetId becomes null); its content goes with it. */
export function deleteDataset(db: Db, id: string): Promise<Dataset> {
  return notFoundAs('dataset', id, db.dataset.delete({ where: { id } }));
}

export function createBaseModel(db: Db, data: Prisma.BaseModelCreateInput): Promise<BaseModel> {
  return db.baseModel.create({ data });
}
/** Creates or updates by name (used when registering the built-in models at start-up). */
export function upsertBaseModel(db: Db, data: Prisma.BaseModelCreateInput): Promise<BaseModel> {
  return db.baseModel.upsert({ where: { name: data.name }, create: data, update: data });
}
export function listBaseModels(db: Db, where?: Prisma.BaseModelWhereInput): Promise<BaseModel[]> {
  return db.baseModel.findMany({ where, orderBy: { name: 'asc' } });
}
/** @throws NotFoundError */
export async function getBaseModel(db: Db, idOrName: string): Promise<BaseModel> {
  const row = await db.baseModel.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!row) throw new NotFoundError('base model', idOrName);
  return row;
}
export function deleteBaseModel(db: Db, id: string): Promise<BaseModel> {
  return notFoundAs('base model', id, db.baseModel.delete({ where: { id } }));
}

/** Prisma's "record not found" (P2025) as our NotFoundError. */
async function notFoundAs<T>(entity: string, id: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as { code?: string }).code === 'P2025') throw new NotFoundError(entity, id);
    throw err;
  }
}
