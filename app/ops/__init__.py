"""Operations: request ids, logging, security headers and the health endpoint."""
