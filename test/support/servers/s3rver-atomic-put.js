// Loaded into s3rver's process (node --require). s3rver 3.7.1 answers a PUT before its file is
// written, and writes the object in place: a GET right after, or a second PUT of the same key,
// can see a torn object (a record read as "not valid JSON" in a fresh-clone run). Real S3
// replaces an object atomically and answers after it is stored; so does this putObject.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { pipeline, Readable, Transform } = require('stream');
const FilesystemStore = require('s3rver/lib/stores/filesystem');

FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
  // Not named like an object (`._S3rver_object`), so a listing meanwhile ignores it.
  const temporary = `${objectPath}.${process.pid}.${crypto.randomUUID()}.partial`;
  const md5 = crypto.createHash('md5');
  let size = 0;
  const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  const count = new Transform({
    transform(chunk, encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await new Promise((resolve, reject) => pipeline(content, count, fs.createWriteStream(temporary), (e) => (e ? reject(e) : resolve())));
  await fs.promises.rename(temporary, objectPath);
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};
