using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PlanBot.Testing;

/// <summary>
/// A throwaway self-signed TLS certificate for 127.0.0.1, made at test time (never committed): a
/// test server serves it and its clients trust exactly it (pinned), nothing else.
/// </summary>
public static class LoopbackCertificate
{
    /// <summary>Writes <c>cert.pem</c> and <c>key.pem</c> (owner-only) into <paramref name="directory"/>; returns the certificate without its key, to pin.</summary>
    public static (X509Certificate2 Certificate, string CertPath, string KeyPath) Create(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(2));
        Directory.CreateDirectory(directory);
        var (certPath, keyPath) = (Path.Combine(directory, "cert.pem"), Path.Combine(directory, "key.pem"));
        Write(certPath, certificate.ExportCertificatePem());
        Write(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (X509CertificateLoader.LoadCertificate(certificate.RawData), certPath, keyPath);
    }

    /// <summary>Trusts the server only when it presents exactly <paramref name="pinned"/> (whatever the chain says of a self-signed one).</summary>
    public static bool IsPinned(X509Certificate2 pinned, X509Certificate2? presented) =>
        presented is not null && presented.RawDataMemory.Span.SequenceEqual(pinned.RawDataMemory.Span);

    private static void Write(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(pem);
    }
}
