// GET /api/artifacts/[id] — the artifact's bytes (adapter files in PEFT format, checkpoints),
// streamed chunk by chunk from its blob in PostgreSQL (`pg:artifact/<id>/<file>` locations:
// the worker stores files there; any size). The sha256 is checked before the last chunk is
// sent: corrupt content fails the request (a 500, or a cut-off body once streaming began).
import { artifactIdOf, openArtifactContent } from '@peft-lab/db';
import { getDb } from '../../../../lib/db';
import { ApiNotFoundError } from '../../../../lib/errors';
import { route } from '../../../../lib/responses';

export const dynamic = 'force-dynamic';

const TYPES: Record<string, string> = {
  json: 'application/json',
  safetensors: 'application/octet-stream',
  tar: 'application/x-tar',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  zip: 'application/zip',
};

export const GET = route<{ id: string }>(async (_request, { id }) => {
  if (!artifactIdOf(id)) throw new ApiNotFoundError('artifact', id);
  const { artifact: a, reader } = await openArtifactContent(getDb(), id);
  if (!reader) throw new ApiNotFoundError('artifact', id, `has no bytes in the database (stored at ${a.location})`);
  const chunks = reader.chunks()[Symbol.asyncIterator]();
  // The first chunk before the headers: a missing or (single-chunk) corrupt blob is still an error response.
  const first = await chunks.next();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (err) {
        console.error('[api] artifact download failed:', err);
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return?.(undefined);
    },
  });
  const file = (a.location.split('/').pop() || `${a.kind}-${id}`).replace(/[^\w.-]/g, '_');
  const ext = file.includes('.') ? file.split('.').pop()!.toLowerCase() : '';
  return new Response(body, {
    headers: {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'content-length': String(a.bytes),
      'content-disposition': `attachment; filename="${file}"`,
      'x-content-sha256': a.sha256,
      'cache-control': 'no-store',
    },
  });
});
