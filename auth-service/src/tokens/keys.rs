//! The signing key ring: Ed25519 private keys loaded from PEM files (or one
//! generated for development), each with a `kid` that is its RFC 7638 JWK
//! thumbprint. The first key signs; every key is published in the JWKS so
//! tokens signed by a retiring key stay verifiable during a rotation.

use std::path::PathBuf;

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding},
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};
use shared_types::{Jwk, JwkSet};

/// One loaded key.
pub struct LoadedKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The public key, base64url (JWK `x`).
    pub x: String,
    /// For signing (only the first key is used).
    pub encoding: EncodingKey,
    /// For verifying this service's own tokens.
    pub decoding: DecodingKey,
}

/// Every key of the service, the signing key first.
pub struct KeyRing {
    keys: Vec<LoadedKey>,
}

impl KeyRing {
    /// Loads every PEM file (PKCS#8 Ed25519 private keys). With no paths, a
    /// fresh key is generated: fine for development, but tokens die with the
    /// process and replicas disagree, so the caller must warn loudly.
    pub fn load(paths: &[PathBuf]) -> anyhow::Result<Self> {
        let mut keys = Vec::with_capacity(paths.len().max(1));
        for path in paths {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("JWT_SIGNING_KEYS: cannot read {}", path.display()))?;
            let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| {
                anyhow::anyhow!(
                    "JWT_SIGNING_KEYS: {} is not a PKCS#8 Ed25519 private key PEM",
                    path.display()
                )
            })?;
            keys.push(key);
        }
        if keys.is_empty() {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("OS randomness: {e}"))?;
            keys.push(SigningKey::from_bytes(&secret));
        }
        Self::from_keys(&keys)
    }

    /// A ring of these keys, the first signing. Fails on an empty list.
    pub fn from_keys(keys: &[SigningKey]) -> anyhow::Result<Self> {
        anyhow::ensure!(!keys.is_empty(), "a key ring needs at least one key");
        Ok(Self {
            keys: keys.iter().map(loaded).collect::<anyhow::Result<_>>()?,
        })
    }

    /// The key that signs new tokens.
    pub fn signing(&self) -> &LoadedKey {
        // `from_keys` guarantees at least one key.
        &self.keys[0]
    }

    /// The key with this `kid`, if it is in the ring.
    pub fn find(&self, kid: &str) -> Option<&LoadedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The public JWKS document.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .map(|k| Jwk {
                    kty: "OKP".into(),
                    crv: "Ed25519".into(),
                    x: k.x.clone(),
                    kid: k.kid.clone(),
                    alg: "EdDSA".into(),
                    use_: "sig".into(),
                })
                .collect(),
        }
    }
}

fn loaded(key: &SigningKey) -> anyhow::Result<LoadedKey> {
    let x = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
    // RFC 7638: SHA-256 over the required members in lexicographic order.
    let thumbprint_input = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encode signing key: {e}"))?;
    let encoding = EncodingKey::from_ed_pem(pem.as_bytes()).context("load signing key")?;
    let decoding = DecodingKey::from_ed_components(&x).context("load verifying key")?;
    Ok(LoadedKey {
        kid,
        x,
        encoding,
        decoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ring_publishes_its_key_under_a_thumbprint_kid() {
        let ring = KeyRing::load(&[]).unwrap();
        let jwks = ring.jwks();
        assert_eq!(jwks.keys.len(), 1);
        assert_eq!(jwks.keys[0].kid, ring.signing().kid);
        assert_eq!(jwks.keys[0].kid.len(), 43, "base64url of 32 bytes");
        assert!(ring.find(&ring.signing().kid).is_some());
        assert!(ring.find("nope").is_none());
    }

    #[test]
    fn loads_pem_files_in_order_and_names_a_bad_file() {
        let dir = std::env::temp_dir().join(format!("gh-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut paths = Vec::new();
        for (i, byte) in [1u8, 2].iter().enumerate() {
            let pem = SigningKey::from_bytes(&[*byte; 32])
                .to_pkcs8_pem(LineEnding::LF)
                .unwrap();
            let path = dir.join(format!("k{i}.pem"));
            std::fs::write(&path, pem.as_bytes()).unwrap();
            paths.push(path);
        }
        let ring = KeyRing::load(&paths).unwrap();
        let expected =
            URL_SAFE_NO_PAD.encode(SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes());
        assert_eq!(ring.signing().x, expected);
        assert_eq!(ring.jwks().keys.len(), 2);

        let bad = dir.join("bad.pem");
        std::fs::write(&bad, "not a key").unwrap();
        let err = KeyRing::load(&[bad]).err().unwrap().to_string();
        assert!(err.contains("bad.pem"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }
}
