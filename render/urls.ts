/**
 * Connection URLs. Passwords inside a URL are percent-encoded (every character
 * outside RFC 3986's unreserved set), so `@ : / % # ?` and friends cannot change the URL's
 * meaning; SQLAlchemy and oslo.messaging decode them again.
 */

export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (character) => "%" + character.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * `mysql+pymysql://user@host/database?read_default_file=FILE`: the password is not in the URL
 * but in FILE (templates/mysql/client.cnf), see there why.
 */
export function databaseUrl(user: string, host: string, database: string, credentialsFile: string): string {
  return `mysql+pymysql://${percentEncode(user)}@${host}/${database}?read_default_file=${credentialsFile}`;
}

/** `rabbit://user:password@host:5672/` */
export function transportUrl(user: string, password: string, host: string, port = 5672): string {
  return `rabbit://${percentEncode(user)}:${percentEncode(password)}@${host}:${port}/`;
}
