class CommunicationError(Exception):
    pass


class HTTPServiceUnavailable(Exception):
    pass
