import { describe, expect, test } from 'vitest';
import { searchOrder } from '../../pipeline/dashboard/customer-search.js';

describe('searchOrder', () => {
  test('an explicit type is the only one tried', () => {
    expect(searchOrder('ann@example.com', 'user_id')).toEqual(['user_id']);
    expect(searchOrder('p_0123abcd', 'phone')).toEqual(['phone']);
  });

  test('auto: a value with @ is only an email', () => {
    expect(searchOrder('Ann@Example.com', 'auto')).toEqual(['email']);
  });

  test('auto: a profile id shape is tried as a profile id first, then as ids', () => {
    expect(searchOrder('p_9fbf2d770642f078ffc0601a', 'auto')).toEqual(['profile_id', 'user_id', 'anonymous_id']);
  });

  test('auto: phone-like values are also tried as a phone, other values are not', () => {
    expect(searchOrder('+44 (0) 7700 900123', 'auto')).toEqual(['user_id', 'anonymous_id', 'phone']);
    expect(searchOrder('u-1001', 'auto')).toEqual(['user_id', 'anonymous_id']);
    expect(searchOrder('123456', 'auto')).toEqual(['user_id', 'anonymous_id']);
  });
});
