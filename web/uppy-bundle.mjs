// The demo page's copy of Uppy 6, from npm (web/package.json pins it): `make
// web-deps` (and `make run`) bundles this file with esbuild into
// web/dist/uppy.js (the global UppyBundle) and web/dist/uppy.css, which the
// local stack serves as /vendor/uppy.js and /vendor/uppy.css. Nothing here is
// changed: app.js uses these classes as an app would after `npm install`.
export { default as Uppy } from '@uppy/core';
export { default as Dashboard } from '@uppy/dashboard';
export { default as AwsS3 } from '@uppy/aws-s3';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
