// Lint: typescript-eslint recommended + the dependency-direction rule of docs/design (core is pure,
// subsystems never import each other; they meet in src/main.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const subsystems = [
  'config',
  'dhcp',
  'tftp',
  'http-boot',
  'ipmi',
  'firewall',
  'api',
  'pipeline',
  'rules',
  'inventory',
  'store',
  'cli',
  'discovery',
  'metrics',
  'ops',
];

/** Each subsystem may import itself and core (ports, errors, domain types); nothing else in src. */
const zones = [
  {
    target: './src/core',
    from: './src',
    except: ['./core'],
    message: 'core/ is pure domain: it imports nothing outside core/.',
  },
  ...subsystems.map((name) => ({
    target: `./src/${name}`,
    from: './src',
    except: [`./${name}`, './core'],
    message: `src/${name} may import only itself and core/; subsystems meet in src/main.ts.`,
  })),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'assets/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**', 'scripts/**', 'demo/**', 'bench/**', 'test/**', 'src/main.ts', 'bin/**', '*.js'],
    rules: { 'no-console': 'off' },
  },
);
