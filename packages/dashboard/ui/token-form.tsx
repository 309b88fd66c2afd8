/** Asks for the API's bearer token. It is kept in memory only (see api-client.ts). */
import { useState } from 'preact/hooks';

export function TokenForm(props: { readonly refused: boolean; readonly onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="token-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim() !== '') props.onToken(value);
      }}
    >
      <h1>Sign in</h1>
      <p>
        This API needs a bearer token (JWT). The page keeps it in memory only: it is not stored, and a reload
        asks again.
      </p>
      {props.refused ? (
        <p class="error" role="alert">
          <span aria-hidden="true">⚠ </span>The API refused that token.
        </p>
      ) : null}
      <label for="token">Token</label>
      <input
        id="token"
        type="password"
        autocomplete="off"
        spellcheck={false}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit">Use token</button>
    </form>
  );
}
