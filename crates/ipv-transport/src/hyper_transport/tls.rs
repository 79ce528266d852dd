//! The rustls client configuration: ring as the crypto provider, and the trusted roots.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use crate::TransportError;

/// Which root certificates [`HyperTransport`](crate::HyperTransport) trusts for `https://`.
///
/// Certificates added with
/// [`add_root_certificate_der`](crate::HyperTransportBuilder::add_root_certificate_der)
/// are trusted in addition, whichever is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsRoots {
    /// Mozilla's root program, compiled in (the `webpki-roots` crate). Works on a bare
    /// machine or in a scratch container without a CA bundle.
    #[default]
    WebPki,
    /// The operating system's trust store, loaded once when the transport is built (the
    /// `rustls-native-certs` crate). Needs the `native-roots` feature.
    #[cfg(feature = "native-roots")]
    Native,
    /// Only the certificates added with `add_root_certificate_der` (a private CA).
    AddedOnly,
}

/// Builds the client TLS configuration. The provider is passed explicitly, so no
/// process-wide default `CryptoProvider` is needed (and two installed providers cannot
/// make rustls panic).
pub(crate) fn client_config(
    roots: TlsRoots,
    added: &[Vec<u8>],
) -> Result<ClientConfig, TransportError> {
    let store = root_store(roots, added)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            TransportError::other("the TLS provider supports no safe protocol version")
                .with_source(e)
        })?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(config)
}

/// The trust anchors: the chosen set plus the added certificates; never empty.
fn root_store(roots: TlsRoots, added: &[Vec<u8>]) -> Result<RootCertStore, TransportError> {
    let mut store = RootCertStore::empty();
    match roots {
        TlsRoots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        #[cfg(feature = "native-roots")]
        TlsRoots::Native => add_native_roots(&mut store)?,
        TlsRoots::AddedOnly => {}
    }
    for (index, der) in added.iter().enumerate() {
        store
            .add(CertificateDer::from(der.as_slice()).into_owned())
            .map_err(|e| {
                TransportError::other(format!(
                    "added root certificate #{index} is not a usable DER X.509 CA certificate"
                ))
                .with_source(e)
            })?;
    }
    if store.is_empty() {
        return Err(TransportError::other(
            "no trusted root certificates: TlsRoots::AddedOnly needs add_root_certificate_der",
        ));
    }
    Ok(store)
}

#[cfg(feature = "native-roots")]
fn add_native_roots(store: &mut RootCertStore) -> Result<(), TransportError> {
    let loaded = rustls_native_certs::load_native_certs();
    let (added, _unparsable) = store.add_parsable_certificates(loaded.certs);
    if added == 0 {
        let reason = loaded
            .errors
            .first()
            .map_or_else(|| "the store is empty".to_owned(), ToString::to_string);
        return Err(TransportError::other(format!(
            "no usable root certificate in the operating system's trust store ({reason})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportErrorKind;

    #[test]
    fn webpki_roots_build_without_a_process_provider() {
        let config = client_config(TlsRoots::WebPki, &[]).expect("webpki config");
        // hyper-rustls requires an empty ALPN list (it fills it in itself).
        assert!(config.alpn_protocols.is_empty());
        assert!(!config.crypto_provider().cipher_suites.is_empty());
        // Nothing was installed process-wide, and nothing needed to be.
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    }

    #[test]
    fn added_only_needs_a_certificate() {
        let err = client_config(TlsRoots::AddedOnly, &[]).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.message().contains("add_root_certificate_der"), "{err}");
    }

    #[test]
    fn garbage_root_certificates_are_rejected_by_index() {
        let err = client_config(TlsRoots::WebPki, &[b"not a certificate".to_vec()]).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert!(err.message().contains("#0"), "{err}");
    }

    #[test]
    fn a_der_ca_certificate_is_accepted() {
        let ca = include_bytes!("../../tests/data/ca.der").to_vec();
        let store = root_store(TlsRoots::AddedOnly, std::slice::from_ref(&ca)).unwrap();
        assert_eq!(store.len(), 1);
        let with_mozilla = root_store(TlsRoots::WebPki, &[ca]).unwrap();
        assert_eq!(with_mozilla.len(), webpki_roots::TLS_SERVER_ROOTS.len() + 1);
        client_config(TlsRoots::AddedOnly, &[]).unwrap_err();
    }

    /// The system store differs between machines: either it loads some roots, or the
    /// error says why.
    #[cfg(feature = "native-roots")]
    #[test]
    fn native_roots_load_or_explain_why_not() {
        match root_store(TlsRoots::Native, &[]) {
            Ok(store) => assert!(!store.is_empty()),
            Err(err) => {
                assert_eq!(err.kind(), TransportErrorKind::Other);
                assert!(err.message().contains("trust store"), "{err}");
            }
        }
    }
}
