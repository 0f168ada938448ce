import { MlflowError } from '../core/errors.ts';
import { LIMITS } from '../core/validation.ts';

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
