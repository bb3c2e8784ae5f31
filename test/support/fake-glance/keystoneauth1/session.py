class Session(object):
    def __init__(self, auth=None):
        self.auth = auth
