using System.Net;
using System.Net.Sockets;

namespace PlanBot.Testing;

/// <summary>A port on 127.0.0.1 nothing listens on right now: tests never use fixed ports a leftover process could hold.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
