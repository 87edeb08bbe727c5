"""Live checks that run only on Windows (netsh, the firewall): marker `windows`."""
