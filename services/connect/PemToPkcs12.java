// Writes PKCS12 stores from the local stack's PEM files (src/stack/tls.ts) for Kafka Connect's REST server, whose
// Jetty loads only JDK keystore types: a keystore with the server key and its chain, and a truststore with the CA.
// Run with the JDK's single-file source launcher (no build):
//   java PemToPkcs12.java <server.key> <server.crt> <ca.crt> <keystore.p12> <truststore.p12>   (password on stdin)
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

public class PemToPkcs12 {
  public static void main(String[] args) throws Exception {
    char[] password = new String(System.in.readAllBytes()).trim().toCharArray();
    String pem = Files.readString(Path.of(args[0]));
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    Certificate server;
    Certificate ca;
    try (FileInputStream s = new FileInputStream(args[1]); FileInputStream c = new FileInputStream(args[2])) {
      server = x509.generateCertificate(s);
      ca = x509.generateCertificate(c);
    }
    KeyStore keystore = KeyStore.getInstance("PKCS12");
    keystore.load(null, null);
    keystore.setKeyEntry("server", key, password, new Certificate[] {server, ca});
    try (FileOutputStream out = new FileOutputStream(args[3])) {
      keystore.store(out, password);
    }
    KeyStore truststore = KeyStore.getInstance("PKCS12");
    truststore.load(null, null);
    truststore.setCertificateEntry("ca", ca);
    try (FileOutputStream out = new FileOutputStream(args[4])) {
      truststore.store(out, password);
    }
  }
}
