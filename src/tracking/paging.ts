import type { Page } from '../core/entities.ts';
import { MlflowError } from '../core/errors.ts';
import { decodePageToken, encodePageToken, type PagePosition } from '../core/page-token.ts';
import { LIMITS } from '../core/validation.ts';
import type { SearchPage } from '../store/store.ts';

/** MLflow's `_validate_max_results_param`: positive and at most 50,000. */
export function validateMaxResults(maxResults: number | undefined, fallback: number): number {
  if (maxResults === undefined) return fallback;
  if (maxResults < 1) {
    throw MlflowError.invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer`,
    );
  }
  if (maxResults > LIMITS.maxSearchResults) {
    throw MlflowError.invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${LIMITS.maxSearchResults}`,
    );
  }
  return maxResults;
}

/**
 * Runs one page of a search from a client's page token and returns the token of the next page,
 * which carries the first page's watermark forward (see PagePosition).
 */
export async function searchPage<T>(
  pageToken: string | undefined,
  query: (position: PagePosition) => Promise<SearchPage<T>>,
): Promise<Page<T>> {
  const position = decodePageToken(pageToken);
  const page = await query(position);
  const nextPageToken = page.hasMore
    ? encodePageToken({ offset: position.offset + page.items.length, watermark: page.watermark })
    : undefined;
  return { items: page.items, nextPageToken };
}
