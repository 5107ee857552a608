//! Secrets kept in the database (table `secrets`): random bytes made once by whichever
//! node asks first and then read by every node, so a cluster shares them and a restart
//! keeps them (today: the key that signs follow-list cursors). Read once at start, through
//! the store's own pool; the SQL is the same on both databases.

use async_trait::async_trait;

use super::StoreError;

/// Bytes in a secret.
pub const SECRET_BYTES: usize = 32;

/// Secrets shared by every node.
#[async_trait]
pub trait Secrets: Send + Sync + 'static {
    /// The secret called `name`, made at random and stored first if there is none yet. Two
    /// nodes starting at once agree: only the first insert lands, and both read back what
    /// is stored.
    async fn secret(&self, name: &str) -> Result<[u8; SECRET_BYTES], StoreError> {
        let fresh: [u8; SECRET_BYTES] = rand::random();
        let stored = self.insert_then_read(name, &fresh).await?;
        stored.try_into().map_err(|_| {
            anyhow::anyhow!("the stored secret {name:?} is not {SECRET_BYTES} bytes").into()
        })
    }

    /// Store `fresh` as `name` unless a secret of that name exists; answer what is stored.
    async fn insert_then_read(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, StoreError>;
}

/// Implements `Secrets` for a struct with a `pool` field.
macro_rules! impl_secrets {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Secrets for $store {
            async fn insert_then_read(
                &self,
                name: &str,
                fresh: &[u8],
            ) -> Result<Vec<u8>, $crate::storage::StoreError> {
                sqlx::query(
                    "INSERT INTO secrets (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(fresh)
                .execute(&self.pool)
                .await?;
                Ok(
                    sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }
        }
    };
}
pub(super) use impl_secrets;
