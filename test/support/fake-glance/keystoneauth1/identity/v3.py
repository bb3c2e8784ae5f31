class Password(object):
    def __init__(self, **fields):
        assert fields["password"] and fields["username"] == "admin"
        self.fields = fields
