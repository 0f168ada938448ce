import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARTIFACT_ROOT, parseArtifactPath } from '../../core/artifact-path.ts';
import { compareKeys, S3KeyMap, unquoteEtag } from './s3-keys.ts';

const p = (path: string) => parseArtifactPath(path, { allowRoot: true });

void describe('S3KeyMap', () => {
  void it('joins prefix and path with exactly one slash, whatever slashes the prefix was given with', () => {
    for (const prefix of ['runs/1', '/runs/1', 'runs/1/', '//runs/1//']) {
      const keys = new S3KeyMap(prefix);
      assert.equal(keys.root, 'runs/1');
      assert.equal(keys.objectKey(p('a/b.txt')), 'runs/1/a/b.txt');
      assert.equal(keys.dirPrefix(p('a')), 'runs/1/a/');
      assert.equal(keys.dirPrefix(ARTIFACT_ROOT), 'runs/1/');
    }
  });

  void it('maps to the bucket root when the prefix is empty', () => {
    const keys = new S3KeyMap('/');
    assert.equal(keys.objectKey(p('a/b.txt')), 'a/b.txt');
    assert.equal(keys.dirPrefix(ARTIFACT_ROOT), '');
    assert.equal(keys.pathOf('a/b.txt'), 'a/b.txt');
  });

  void it('has no key for the root itself: it is a directory', () => {
    assert.throws(() => new S3KeyMap('runs').objectKey(ARTIFACT_ROOT), { code: 'INVALID_PARAMETER_VALUE' });
  });

  void it('maps keys back only below the prefix and only when they are valid artifact paths', () => {
    const keys = new S3KeyMap('runs/1');
    assert.equal(keys.pathOf('runs/1/a/b.txt'), 'a/b.txt');
    assert.equal(keys.pathOf('runs/1'), undefined);
    assert.equal(keys.pathOf('runs/1/'), undefined, 'the root marker');
    assert.equal(keys.pathOf('runs/1/dir/'), undefined, 'a directory marker');
    assert.equal(keys.pathOf('runs/10/a.txt'), undefined, 'a sibling prefix');
    assert.equal(keys.pathOf('runs/a.txt'), undefined, 'the parent');
    assert.equal(keys.pathOf('other/runs/1/a.txt'), undefined);
    assert.equal(keys.pathOf('runs/1//a.txt'), undefined, 'an empty segment');
    assert.equal(keys.pathOf('runs/1/x/../../../etc'), undefined, 'a dot-dot segment');
    assert.equal(keys.pathOf('runs/1/%2e%2e/x'), undefined, 'an encoded dot-dot segment');
    assert.equal(keys.pathOf('runs/1/a\\b'), undefined, 'a backslash');
  });

  void it('refuses a prefix that is not a clean relative path', () => {
    for (const prefix of ['a/../b', 'a//b', 'a/./b', 'a\\b', 'a?b']) {
      assert.throws(() => new S3KeyMap(prefix), { code: 'INVALID_PARAMETER_VALUE', message: /Invalid S3 key prefix/ });
    }
  });
});

void describe('unquoteEtag', () => {
  void it('strips the quotes (and a weak marker) S3 puts around ETags', () => {
    assert.equal(unquoteEtag('"abc-2"'), 'abc-2');
    assert.equal(unquoteEtag('W/"abc"'), 'abc');
    assert.equal(unquoteEtag('abc'), 'abc');
    assert.equal(unquoteEtag(''), '');
    assert.equal(unquoteEtag(undefined), '');
  });
});

void describe('compareKeys', () => {
  void it("orders keys by UTF-8 bytes as S3 does, so 'sub-x/' < 'sub.txt' < 'sub/' and BMP after ASCII", () => {
    const keys = ['sub/', 'sub.txt', '\u{1F600}', 'sub-x/', '\uFF21', 'a'];
    assert.deepEqual(keys.sort(compareKeys), ['a', 'sub-x/', 'sub.txt', 'sub/', '\uFF21', '\u{1F600}']);
  });
});
