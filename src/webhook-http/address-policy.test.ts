import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AllowList, embeddedIpv4, nonPublicReason } from './address-policy.ts';

void describe('webhook address policy', () => {
  void it('refuses loopback, private, link-local, CGNAT, unspecified and their IPv6 forms', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '0.0.0.0',
      '10.9.8.7',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1',
      'fc00::1',
      'fdff::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '::127.0.0.1',
      '64:ff9b::a00:1',
      '2002:c0a8:0101::1',
    ]) {
      assert.ok(nonPublicReason(address), address);
    }
  });

  void it('accepts public unicast addresses', () => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
    ]) {
      assert.equal(nonPublicReason(address), undefined, address);
    }
  });

  void it('finds the IPv4 address embedded in mapped, compatible, NAT64 and 6to4 forms', () => {
    assert.equal(embeddedIpv4('::ffff:7f00:1'), '127.0.0.1');
    assert.equal(embeddedIpv4('::7f00:1'), '127.0.0.1');
    assert.equal(embeddedIpv4('64:ff9b::7f00:1'), '127.0.0.1');
    assert.equal(embeddedIpv4('2002:7f00:1::'), '127.0.0.1');
    assert.equal(embeddedIpv4('2606:4700::1111'), undefined);
  });

  void it('allow-lists host names, addresses and CIDRs', () => {
    const allow = new AllowList(['Hooks.Internal', '127.0.0.1', '10.1.0.0/16', 'fd00::/8']);
    assert.ok(allow.allowsHost('hooks.internal'));
    assert.ok(!allow.allowsHost('other.internal'));
    assert.ok(allow.allowsAddress('127.0.0.1'));
    assert.ok(!allow.allowsAddress('127.0.0.2'));
    assert.ok(allow.allowsAddress('10.1.200.3'));
    assert.ok(!allow.allowsAddress('10.2.0.1'));
    assert.ok(allow.allowsAddress('fd00::5'));
  });
});
