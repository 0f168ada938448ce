/**
 * `import { PlumbClient } from 'plumb/client'` from the built package: the client is compiled with
 * tsconfig.build.json's options into a package laid out as npm installs it (package.json with its
 * `exports`, dist/), then imported by name from a consumer, and its declarations are checked there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');

void describe('the plumb/client package export', () => {
  const consumer = mkdtempSync(join(tmpdir(), 'plumb-consumer-'));
  after(() => rmSync(consumer, { recursive: true, force: true }));

  void it('resolves to the built client, with types, from a consumer package', () => {
    const pkg = join(consumer, 'node_modules', 'plumb');
    mkdirSync(pkg, { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.build.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
      },
    );
    assert.ok(config);
    assert.equal(config.options.declaration, true, 'tsconfig.build.json emits declarations');
    const program = ts.createProgram([join(root, 'src', 'client', 'index.ts')], {
      ...config.options,
      outDir: join(pkg, 'dist'),
    });
    const emitted = program.emit();
    assert.deepEqual(
      emitted.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
      [],
    );

    writeFileSync(join(consumer, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(consumer, 'main.mjs'),
      "import { PlumbClient, USER_AGENT } from 'plumb/client';\nconsole.log(typeof PlumbClient, USER_AGENT);\n",
    );
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: consumer, encoding: 'utf8' });
    const version = (JSON.parse(ts.sys.readFile(join(root, 'package.json'))!) as { version: string }).version;
    assert.equal(out.trim(), `function plumb-ts-client/${version}`);

    writeFileSync(
      join(consumer, 'main.ts'),
      "import { PlumbClient, type Run } from 'plumb/client';\nexport const run: Promise<Run> = new PlumbClient({ trackingUri: 'http://127.0.0.1:1' }).tracking.getRun('r');\n",
    );
    const check = ts.createProgram([join(consumer, 'main.ts')], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    });
    assert.deepEqual(
      ts.getPreEmitDiagnostics(check).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
      [],
    );
  });
});
