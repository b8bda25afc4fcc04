// The page's Uppy: Dashboard and @uppy/aws-s3 in signRequest mode, with the
// signRequest of the README ("sign: POST /presign").
import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import AwsS3 from '@uppy/aws-s3';

const params = new URLSearchParams(location.hash.slice(1));
const SIGN_URL = params.get('sign').replace(/\/$/, '');
const jwt = params.get('jwt');

const uppy = new Uppy({ autoProceed: false });
uppy.use(Dashboard, { inline: true, target: '#uppy' });
uppy.use(AwsS3, {
  shouldUseMultipart: (file) => file.size > 5 * 1024 * 1024,
  getChunkSize: () => 5 * 1024 * 1024,
  generateObjectKey: (file) => file.id,
  async signRequest(req) {
    const file = uppy.getFile(req.key);                          // undefined after the initiate: the key is the server's
    const extra = file ? { filename: file.name, contentType: file.type, size: file.size } : {};
    const res = await fetch(SIGN_URL + '/presign', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + jwt, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...req, ...extra }),
    });
    if (!res.ok) throw new Error((await res.json()).error.message);
    return res.json();
  },
});
window.uppy = uppy;
window.uppyReady = true;
