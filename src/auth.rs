//! Secrets: argon2id password hashes and session tokens.
//!
//! Hashing is deliberately slow and takes ~19 MiB per hash (argon2id's default cost), so it
//! runs on a small pool of dedicated threads (`Hasher`, one per core by default), never on
//! the async runtime and never more at once than there are threads: 120 concurrent sign-ins
//! once took the process to 2.4 GiB, and glibc kept it. Each thread allocates argon2's
//! working memory once and hashes in it ever after (`Scratch`), so memory stays at
//! threads × 19 MiB whatever the allocator does with freed blocks (glibc kept up to three
//! freed copies per arena, measured). Requests wait in a bounded queue for a few seconds
//! at most; then they are answered 503 with Retry-After.
//!
//! Tokens are 256 random bits; only their SHA-256 is stored, so a leaked database holds no
//! usable session. Signing in as an unknown user still verifies a hash (a dummy one), so
//! "no such user" and "wrong password" take the same time.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

/// Hashing requests that may wait for a thread; past that they are refused at once.
const QUEUE: usize = 1024;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing thread stayed busy for the whole wait: try again shortly.
    #[error("every password-hashing thread is busy")]
    Busy,
    /// Hashing failed or a stored hash is unreadable (a bug or a corrupt row).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

type Task = Box<dyn FnOnce(&mut Scratch) + Send>;

/// Handle to the password-hashing threads. Cheap to clone; the threads end when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Hasher {
    queue: SyncSender<Task>,
    wait: Duration,
}

impl Hasher {
    /// Start `threads` hashing threads (0: one per core); a request waits at most `wait`
    /// for one of them.
    pub fn start(threads: usize, wait: Duration) -> std::io::Result<Self> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let (queue, tasks) = sync_channel::<Task>(QUEUE);
        let tasks = Arc::new(Mutex::new(tasks));
        for i in 0..threads {
            let tasks = tasks.clone();
            std::thread::Builder::new()
                .name(format!("chirp-hash-{i}"))
                .spawn(move || work(&tasks))?;
        }
        Ok(Self { queue, wait })
    }

    /// Run `f` on a hashing thread and wait for its answer (at most the configured wait).
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Scratch) -> anyhow::Result<R> + Send + 'static,
    ) -> Result<R, HashError> {
        let (reply, answer) = oneshot::channel();
        let task: Task = Box::new(move |scratch| {
            // Whoever asked has stopped waiting: spare the work.
            if !reply.is_closed() {
                let _ = reply.send(f(scratch));
            }
        });
        match self.queue.try_send(task) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(HashError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(anyhow::anyhow!("the hashing threads have stopped").into());
            }
        }
        match tokio::time::timeout(self.wait, answer).await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(_)) => Err(anyhow::anyhow!("a hashing thread dropped its task").into()),
            Err(_) => Err(HashError::Busy),
        }
    }

    /// Hash a password with argon2id (the crate's default parameters), as a PHC string.
    pub async fn hash_password(&self, password: String) -> Result<String, HashError> {
        self.run(move |scratch| {
            let salt = SaltString::generate(&mut OsRng);
            scratch.hash(&password, salt.as_salt())
        })
        .await
    }

    /// Check `password` against `hash` (or against a dummy hash when the user does not
    /// exist, which always fails but takes as long).
    pub async fn verify_password(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, HashError> {
        self.run(move |scratch| {
            let known = hash.is_some();
            let ok = match hash {
                Some(hash) => scratch.verify(&password, &hash)?,
                None => {
                    let dummy = dummy_hash(scratch)?;
                    scratch.verify(&password, dummy)?
                }
            };
            Ok(known && ok)
        })
        .await
    }
}

/// A hashing thread's argon2 working memory, allocated on first use and reused by every
/// hash it computes after.
#[derive(Default)]
pub struct Scratch {
    blocks: Vec<Block>,
}

impl Scratch {
    /// argon2 `password` with `salt` under `argon2`'s parameters, in this memory.
    fn compute(&mut self, argon2: &Argon2, password: &str, salt: Salt) -> anyhow::Result<Output> {
        let blocks = argon2.params().block_count();
        if self.blocks.len() < blocks {
            self.blocks.resize(blocks, Block::default());
        }
        let mut salt_buf = [0u8; 64];
        let salt = salt
            .decode_b64(&mut salt_buf)
            .map_err(|e| anyhow::anyhow!("salt unreadable: {e}"))?;
        let len = argon2
            .params()
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let memory = &mut self.blocks[..blocks];
        Output::init_with(len, |out| {
            argon2
                .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut *memory)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        })
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    }

    /// A new argon2id hash of `password` (default parameters) as a PHC string.
    fn hash(&mut self, password: &str, salt: Salt) -> anyhow::Result<String> {
        let argon2 = Argon2::default();
        let output = self.compute(&argon2, password, salt)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::default().into()),
            params: ParamsString::try_from(argon2.params())
                .map_err(|e| anyhow::anyhow!("encoding parameters: {e}"))?,
            salt: Some(salt),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the PHC string `hash` (compared in constant time).
    fn verify(&mut self, password: &str, hash: &str) -> anyhow::Result<bool> {
        let unreadable = |e: &dyn std::fmt::Display| anyhow::anyhow!("stored hash unreadable: {e}");
        let parsed = PasswordHash::new(hash).map_err(|e| unreadable(&e))?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(unreadable(&"no salt or no hash"));
        };
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| unreadable(&e))?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|e| unreadable(&e))?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|e| unreadable(&e))?;
        let computed = self.compute(&Argon2::new(algorithm, version, params), password, salt)?;
        // `Output`'s equality is constant-time.
        Ok(computed == expected)
    }
}

/// A hashing thread: take tasks one at a time until every `Hasher` handle is gone.
fn work(tasks: &Mutex<Receiver<Task>>) {
    let mut scratch = Scratch::default();
    loop {
        // Hold the lock only to take a task, never while running one.
        let task = match tasks.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match task {
            Ok(task) => task(&mut scratch),
            Err(_) => return,
        }
    }
}

/// A hash of a random password, made once, for timing-equal failures.
fn dummy_hash(scratch: &mut Scratch) -> anyhow::Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let mut secret = [0u8; 16];
    OsRng.fill_bytes(&mut secret);
    let secret = base64::engine::general_purpose::STANDARD_NO_PAD.encode(secret);
    let salt = SaltString::generate(&mut OsRng);
    let hash = scratch.hash(&secret, salt.as_salt())?;
    Ok(DUMMY.get_or_init(|| hash))
}

/// A new session token: 32 random bytes, base64url without padding.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Hasher {
        Hasher::start(1, Duration::from_secs(30)).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_fail() {
        let hasher = hasher();
        let hash = hasher.hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            hasher
                .verify_password("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify_password("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify_password("correct horse".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn hashes_are_standard_argon2id_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let hasher = hasher();
        // Ours verify with the argon2 crate's own verifier…
        let ours = hasher.hash_password("correct horse".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        // …and the crate's verify with ours (hashes stored before this change still work).
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(
            hasher
                .verify_password("correct horse".into(), Some(theirs.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify_password("correct horsf".into(), Some(theirs))
                .await
                .unwrap()
        );
        assert!(matches!(
            hasher
                .verify_password("x".into(), Some("not a hash".into()))
                .await,
            Err(HashError::Failed(_))
        ));
    }

    #[tokio::test]
    async fn a_request_that_waits_too_long_is_busy() {
        let hasher = Hasher::start(1, Duration::from_millis(1)).unwrap();
        // One thread, a wait of 1 ms: of a few hashes at once, some must give up waiting.
        let attempts = (0..4).map(|_| hasher.hash_password("correct horse".into()));
        let answers = futures_util::future::join_all(attempts).await;
        assert!(
            answers.iter().any(|a| matches!(a, Err(HashError::Busy))),
            "{answers:?}"
        );
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
