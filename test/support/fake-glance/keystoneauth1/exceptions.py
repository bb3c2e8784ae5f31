class ConnectFailure(Exception):
    pass


class ConnectTimeout(Exception):
    pass


class ServiceUnavailable(Exception):
    pass
