"""The error every area's services raise when a request cannot be carried out."""


class ServiceError(ValueError):
    """A request that cannot be carried out; the message is safe to show the user.

    Areas subclass it (BookingError, NoteError, ...) so that a view can catch one kind of refusal.
    """
