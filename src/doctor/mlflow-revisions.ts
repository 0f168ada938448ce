/**
 * MLflow's database schema is versioned by Alembic: `alembic_version.version_num` holds the
 * revision the database was last upgraded to. This small table names the releases whose head
 * revision is known (checked against MLflow's migration files and release dates), plus the
 * linear chain of older revisions, so doctor can say "MLflow 2.4–2.7 schema" or "a revision
 * between two releases" instead of a bare hash. It is deliberately partial: a revision it does
 * not know is reported as such, not guessed.
 */
export const MLFLOW_RELEASE_HEADS: ReadonlyMap<string, string> = new Map([
  ['97727af70f4d', '2.0–2.2'],
  ['3500859a5d39', '2.3'],
  ['7f2a7d5fae7d', '2.4–2.7'],
  ['acf3f17fdcc7', '2.8–2.12'],
  ['ae8bbe7743c9', '3.11'],
]);

/** Revisions of MLflow's migration chain, oldest first, as `mlflow db upgrade` applies them (to 3.0's). */
const MLFLOW_CHAIN = [
  '451aebb31d03',
  '90e64c465722',
  '181f10493468',
  'df50e92ffc5e',
  '7ac759974ad8',
  '89d4b8295536',
  '2b4d017a5e9b',
  'cfd24bdc0731',
  '0a8213491aaa',
  '728d730b5ebd',
  '27a6a02d2cf1',
  '84291f40a231',
  'a8c4a736bde6',
  '39d1c3be5f05',
  'c48cb773bb87',
  'bd07f7e963c5',
  '0c779009ac13',
  'cc1f77228345',
  '97727af70f4d',
  '3500859a5d39',
  '7f2a7d5fae7d',
  '2d6e25af4d3e',
  'acf3f17fdcc7',
  '867495a8f9d4',
  '5b0e9adcef9c',
  '4465047574b1',
  'f5a4f2784254',
  '0584bdc529eb',
  '400f98739977',
  '6953534de441',
  'bda7b8c39065',
];

export type MlflowRevisionInfo =
  | { readonly kind: 'release-head'; readonly releases: string }
  | { readonly kind: 'known'; readonly after?: string | undefined }
  | { readonly kind: 'unknown' };

/** What the table knows about `revision`. */
export function describeMlflowRevision(revision: string): MlflowRevisionInfo {
  const releases = MLFLOW_RELEASE_HEADS.get(revision);
  if (releases) return { kind: 'release-head', releases };
  const index = MLFLOW_CHAIN.indexOf(revision);
  if (index < 0) return { kind: 'unknown' };
  // The newest release whose head comes before this revision in the chain.
  const earlier = MLFLOW_CHAIN.slice(0, index)
    .reverse()
    .find((r) => MLFLOW_RELEASE_HEADS.has(r));
  return { kind: 'known', after: earlier && MLFLOW_RELEASE_HEADS.get(earlier) };
}
