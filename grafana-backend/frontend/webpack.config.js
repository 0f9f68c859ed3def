// Builds `dist/module.js` the way Grafana's create-plugin does: one AMD module whose `react` and
// `@grafana/*` imports are Grafana's own shared copies (externals), compiled by swc.
const path = require('path');

module.exports = (env, argv) => ({
  mode: argv.mode || 'production',
  target: 'web',
  context: __dirname,
  entry: { module: './src/module.ts' },
  devtool: argv.mode === 'development' ? 'eval-source-map' : 'source-map',
  output: {
    path: path.resolve(__dirname, 'dist'),
    filename: '[name].js',
    library: { type: 'amd' },
    // Grafana serves plugin assets from `public/plugins/<id>/`.
    publicPath: 'public/plugins/slokit-slo-datasource/',
    clean: true,
  },
  externals: [
    'react',
    'react-dom',
    '@grafana/data',
    '@grafana/runtime',
    '@grafana/ui',
    '@emotion/css',
    'rxjs',
    'lodash',
  ],
  resolve: { extensions: ['.ts', '.tsx', '.js'] },
  module: {
    rules: [
      {
        test: /\.[tj]sx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              target: 'es2018',
              parser: { syntax: 'typescript', tsx: true },
              transform: { react: { runtime: 'classic' } },
            },
          },
        },
      },
    ],
  },
});
