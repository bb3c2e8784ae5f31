/**
 * Connection URLs with credentials inside. Passwords are percent-encoded (every character
 * outside RFC 3986's unreserved set), so `@ : / % # ?` and friends cannot change the URL's
 * meaning; SQLAlchemy and oslo.messaging decode them again.
 */

export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (character) => "%" + character.charCodeAt(0).toString(16).toUpperCase());
}

/** `mysql+pymysql://user:password@host/database` */
export function databaseUrl(user: string, password: string, host: string, database: string): string {
  return `mysql+pymysql://${percentEncode(user)}:${percentEncode(password)}@${host}/${database}`;
}

/** `rabbit://user:password@host:5672/` */
export function transportUrl(user: string, password: string, host: string, port = 5672): string {
  return `rabbit://${percentEncode(user)}:${percentEncode(password)}@${host}:${port}/`;
}
