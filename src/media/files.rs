//! Where image files live: one interface (`object_store`'s) over a directory
//! (`file://PATH`, the default) or any S3-compatible bucket (`s3://BUCKET/PREFIX`, with
//! credentials, region and endpoint from the standard `AWS_*` variables), so every node
//! of a cluster that shares the bucket serves every file.
//!
//! Keys are 128 random bits in hex plus a suffix (`-small` for previews) and an extension
//! (`jpg`, `png`): unguessable, and checked for that shape before any store is asked.

use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, ObjectStore, PutOptions, PutPayload};

/// The file store.
#[derive(Debug, Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
}

impl Files {
    /// Open the store `url` names: `file://PATH` (created if missing; relative to the
    /// working directory unless absolute) or `s3://BUCKET[/PREFIX]`.
    pub fn open(url: &str) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = if let Some(path) = url.strip_prefix("file://") {
            let path = if path.is_empty() { "." } else { path };
            std::fs::create_dir_all(path)
                .with_context(|| format!("cannot create the media directory {path:?}"))?;
            Arc::new(
                LocalFileSystem::new_with_prefix(path)
                    .with_context(|| format!("cannot open the media directory {path:?}"))?,
            )
        } else if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            anyhow::ensure!(
                !bucket.is_empty(),
                "{url:?} names no bucket: use s3://BUCKET/PREFIX"
            );
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            let endpoint = std::env::var("AWS_ENDPOINT_URL")
                .or_else(|_| std::env::var("AWS_ENDPOINT"))
                .unwrap_or_default();
            if endpoint.starts_with("http://") {
                // A local or private S3-compatible server without TLS.
                builder = builder.with_allow_http(true);
            }
            let s3 = builder
                .build()
                .with_context(|| format!("cannot set up the S3 store {url:?}"))?;
            let prefix = prefix.trim_matches('/');
            if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix))
            }
        } else {
            anyhow::bail!("unsupported media URL {url:?}: use file://PATH or s3://BUCKET/PREFIX");
        };
        Ok(Self { store })
    }

    /// Store `bytes` under `key`.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), object_store::Error> {
        // The store's own methods (boxed `Send` futures), not the extension trait's.
        self.store
            .put_opts(
                &Path::from(key),
                PutPayload::from(bytes),
                PutOptions::default(),
            )
            .await?;
        Ok(())
    }

    /// The file under `key`, or `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, object_store::Error> {
        match self
            .store
            .get_opts(&Path::from(key), GetOptions::default())
            .await
        {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Remove the file under `key` (nothing to do when it is gone already).
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        let location = Path::from(key);
        let mut deleted = self
            .store
            .delete_stream(futures_util::stream::once(async move { Ok(location) }).boxed());
        match deleted.try_next().await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }
}

/// A new key for a file with this `suffix` (`""` or `-small`) and `extension`.
pub fn new_key(stem: &str, suffix: &str, extension: &str) -> String {
    format!("{stem}{suffix}.{extension}")
}

/// 128 random bits in hex: the shared stem of an upload's file and preview.
pub fn new_stem() -> String {
    use rand::RngCore;
    let mut bits = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bits);
    bits.iter().map(|b| format!("{b:02x}")).collect()
}

/// The extension of `key` if it has the shape of a key this server makes, else `None`.
pub fn extension_of(key: &str) -> Option<&str> {
    let (name, extension) = key.rsplit_once('.')?;
    let stem = name.strip_suffix("-small").unwrap_or(name);
    let hex = stem.len() == 32 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (hex && matches!(extension, "jpg" | "png")).then_some(extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_of_our_shape_are_looked_up() {
        let stem = new_stem();
        assert_eq!(extension_of(&new_key(&stem, "", "jpg")), Some("jpg"));
        assert_eq!(extension_of(&new_key(&stem, "-small", "png")), Some("png"));
        for bad in [
            "../etc/passwd",
            "x.jpg",
            "",
            &format!("{stem}.gif"),
            &format!("{stem}-big.jpg"),
        ] {
            assert_eq!(extension_of(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn a_directory_store_puts_gets_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::open(&format!("file://{}/media", dir.path().display())).unwrap();
        files.put("k.jpg", b"abc".to_vec()).await.unwrap();
        assert_eq!(files.get("k.jpg").await.unwrap().unwrap(), &b"abc"[..]);
        files.delete("k.jpg").await.unwrap();
        files.delete("k.jpg").await.unwrap();
        assert!(files.get("k.jpg").await.unwrap().is_none());
    }
}
