//! A TLS configuration that checks the server's certificate against a name other than the URL's
//! host (`jsonData.serverName`, "Server Name" in Grafana's TLS settings), for a Prometheus reached
//! by an address its certificate does not name (an IP, an internal load balancer). reqwest checks
//! the URL's host and cannot be told another name, so this builds rustls's configuration itself,
//! with the same trust (the system's roots and the configured CA bundle) and client certificate as
//! reqwest would use, and a verifier that checks the certificate, chain and signature exactly as
//! rustls's own does, only against the configured name.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::settings::Settings;

/// rustls's verifier, asked about `name` whatever name the connection was opened for.
#[derive(Debug)]
struct NamedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for NamedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The rustls configuration for `settings`, whose `server_name` is `name`. Errors name the
/// setting at fault.
pub fn config_with_server_name(settings: &Settings, name: &str) -> Result<ClientConfig, String> {
    let provider: Arc<CryptoProvider> = Arc::new(ring::default_provider());
    let name = ServerName::try_from(name.to_string()).map_err(|_| {
        format!("`jsonData.serverName` `{name}` is not a DNS name or an IP address")
    })?;
    let mut roots = RootCertStore::empty();
    // A system without readable roots still trusts the configured CA bundle.
    for certificate in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(certificate);
    }
    if let Some(pem) = &settings.tls_ca_cert {
        for certificate in CertificateDer::pem_slice_iter(pem.expose().as_bytes()) {
            let certificate = certificate
                .map_err(|_| "`secureJsonData.tlsCACert` is not a PEM certificate bundle")?;
            roots
                .add(certificate)
                .map_err(|e| format!("`secureJsonData.tlsCACert` cannot be used: {e}"))?;
        }
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("no certificate authority to verify the server with: {e}"))?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NamedVerifier { inner, name }));
    let mut config = match &settings.tls_client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let invalid = || {
                "`secureJsonData.tlsClientCert` and `tlsClientKey` are not a PEM certificate and private key".to_string()
            };
            let chain = CertificateDer::pem_slice_iter(cert.expose().as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| invalid())?;
            let key =
                PrivateKeyDer::from_pem_slice(key.expose().as_bytes()).map_err(|_| invalid())?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|_| invalid())?
        }
    };
    // The plugin speaks HTTP/1.1 to Prometheus, as reqwest's own configuration would offer.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
