import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { SealpostError } from '@sealpost/envelope';

/** Attribute names accepted in a subject, their OIDs and the string type they are encoded as. */
const ATTRIBUTES: Readonly<Record<string, { oid: string; type: 'printableString' | 'utf8String' | 'ia5String' }>> = {
  CN: { oid: '2.5.4.3', type: 'utf8String' },
  SERIALNUMBER: { oid: '2.5.4.5', type: 'printableString' },
  C: { oid: '2.5.4.6', type: 'printableString' },
  L: { oid: '2.5.4.7', type: 'utf8String' },
  ST: { oid: '2.5.4.8', type: 'utf8String' },
  STREET: { oid: '2.5.4.9', type: 'utf8String' },
  O: { oid: '2.5.4.10', type: 'utf8String' },
  OU: { oid: '2.5.4.11', type: 'utf8String' },
  DC: { oid: '0.9.2342.19200300.100.1.25', type: 'ia5String' },
  EMAILADDRESS: { oid: '1.2.840.113549.1.9.1', type: 'ia5String' },
  E: { oid: '1.2.840.113549.1.9.1', type: 'ia5String' },
};

/** Splits on commas that are not escaped with a backslash, and unescapes each part. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) current += text[++i];
    else if (ch === separator) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * Parses a subject such as `CN=Signer, O=MyOrg, OU=MyOrgUnit, C=SE, L=Gothenburg` (attributes
 * in the order written; `\,` escapes a comma) into an X.509 Name. Throws CONFIG_INVALID naming
 * the part it cannot read.
 */
export function parseSubject(subject: string): Name {
  const rdns = splitUnescaped(subject, ',').map((part) => part.trim()).filter(Boolean);
  if (rdns.length === 0) throw new SealpostError('CONFIG_INVALID', 'the subject is empty');
  return new Name(
    rdns.map((rdn) => {
      const at = rdn.indexOf('=');
      const key = rdn.slice(0, at).trim().toUpperCase();
      const value = rdn.slice(at + 1).trim();
      const attribute = ATTRIBUTES[key];
      if (at <= 0 || !attribute || !value) {
        throw new SealpostError('CONFIG_INVALID', `cannot read subject part ${JSON.stringify(rdn)}: expected NAME=value with NAME one of ${Object.keys(ATTRIBUTES).join(', ')}`);
      }
      if (key === 'C' && !/^[A-Z]{2}$/.test(value)) throw new SealpostError('CONFIG_INVALID', `C must be a two-letter country code, got ${JSON.stringify(value)}`);
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: attribute.oid, value: new AttributeValue({ [attribute.type]: value }) })]);
    }),
  );
}
