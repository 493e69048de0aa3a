import time

import jwt


def sign_request(secret, subject, ttl=300):
    now = int(time.time())
    return "Bearer " + jwt.encode({"sub": subject, "iat": now, "exp": now + ttl}, secret, algorithm="HS256")
