using System.Net;
using System.Net.Sockets;

namespace WeightWatcher.Cluster.Tests.Support;

/// <summary>Free loopback ports for cluster members started by a test.</summary>
public static class FreePorts
{
    /// <summary>A port nothing listens on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
