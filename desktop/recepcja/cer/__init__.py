"""The CeR gateway: the only code that speaks CeR's SOAP contract (and the only place zeep is
imported — lazily, at a gateway's first call).

- ``types``: what crosses the gateway in domain terms, and the gateway's configuration;
- ``errors``: the typed errors every call raises, and the mapping from library exceptions;
- ``gateway``: ``CerGateway``, one method per CeR operation;
- ``push``: reading notifications CeR pushes to our endpoint (hardened), and our answer;
- ``mapping`` / ``wire`` / ``client`` / ``security``: the wire format, XML safety, zeep, P1
  security (TLS client certificate, WS-Security signature).
"""
