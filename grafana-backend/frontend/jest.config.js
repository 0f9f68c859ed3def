// Jest, compiled by swc: unit tests of the frontend's pure logic (`*.test.ts`, in Node) and
// component tests of the editors (`*.test.tsx`, in jsdom, with React Testing Library).
// Grafana's packages depend on ES modules that jest must compile too (the list follows
// create-plugin's `grafanaESModules`).
const esModules = [
  'd3',
  'd3-.*',
  'internmap',
  'delaunator',
  'robust-predicates',
  'ol',
  'react-colorful',
  'rxjs',
  'uuid',
  'marked',
  '@grafana/schema',
  'react-calendar',
  'get-user-locale',
  'memoize',
  'mimic-function',
  'ml-.*',
  'is-any-array',
  'yaml',
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  setupFiles: ['<rootDir>/jest.setup.js'],
  transform: {
    '^.+\\.[tj]sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true } } }],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`node_modules/(?!(${esModules.join('|')})/)`],
  moduleNameMapper: { '\\.(css|scss|sass)$': '<rootDir>/jest.stub.js', '^react-inlinesvg$': '<rootDir>/jest.stub.js' },
};
