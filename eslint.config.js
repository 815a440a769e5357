// Layer rules from architecture.md: the pure layers (parser, classify, audit, report) import no node:*
// module, no process, no prom-client and no express; imports point one way, down the data flow.
import tseslint from 'typescript-eslint';

const pureRestrictions = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'http', 'https', 'net', 'crypto', 'url', 'util'], message: 'Pure layers do no I/O: take text and values as arguments.' },
        { group: ['prom-client', 'express', 'chokidar', 'commander'], message: 'Pure layers know nothing of metrics, HTTP or the CLI.' },
        { group: ['**/procfs/*', '**/cli/*', '**/server/*', '**/collector/*'], message: 'Imports point down the data flow only.' },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'process', message: 'Pure layers take configuration and the clock as arguments.' },
    { name: 'Buffer', message: 'Pure layers work on byte strings (see src/parser/byte-string.ts).' },
    { name: 'setTimeout', message: 'Pure layers do no scheduling.' },
  ],
  'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Inject the clock.' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/parser/**/*.ts'],
    rules: {
      ...pureRestrictions,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...pureRestrictions['no-restricted-imports'][1].patterns,
            { group: ['**/classify/*', '**/audit/*', '**/report/*'], message: 'The parser is the bottom layer.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/classify/**/*.ts'],
    rules: {
      ...pureRestrictions,
      'no-restricted-imports': [
        'error',
        { patterns: [...pureRestrictions['no-restricted-imports'][1].patterns, { group: ['**/audit/*', '**/report/*'], message: 'classify sits below audit and report.' }] },
      ],
    },
  },
  { files: ['src/audit/**/*.ts', 'src/report/**/*.ts'], rules: pureRestrictions },
  // Tests read untyped JSON documents (the CLI's output) and compare whole objects.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
